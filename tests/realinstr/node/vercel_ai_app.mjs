// The realinstr workload instrumented by the Vercel AI SDK (`ai` 6) and its built-in
// OpenTelemetry telemetry (`experimental_telemetry: { isEnabled: true }` on every call).
//
// Set up as the AI SDK's telemetry docs show for Node: a NodeSDK with the OTLP/HTTP (protobuf)
// span exporter (endpoint from OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), started before the
// calls and shut down (flushed) after them. Traces only: the AI SDK records no metrics or logs.
//
// The calls are workload.py's (one source of truth): the harness writes them as JSON to
// $GENAI_WORKLOAD_CALLS (`python apps/workload.py --anthropic`). Chat calls go through
// generateText / streamText on the OpenAI provider's chat-completions model, the embeddings
// call through embedMany, the Anthropic call through @ai-sdk/anthropic; each sends the call's
// x-fake-* headers so the fake server answers as the call expects. Failing calls are caught and
// checked (HTTP status), as workload.run does; the manifest ($GENAI_MANIFEST) has the same shape
// as workload.write_manifest's, plus `sdk_error` (the AI SDK's error name) on failed calls.
//
// Environment: OTEL_EXPORTER_OTLP_ENDPOINT, FAKE_OPENAI_URL, GENAI_SERVICE_NAME,
// GENAI_ENVIRONMENT, GENAI_MANIFEST, GENAI_WORKLOAD_CALLS, GENAI_FIRST_CALL_PAUSE_MS.

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { APICallError, embedMany, generateText, streamText } from 'ai';

const require = createRequire(import.meta.url);

function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) throw new Error(`${name} is not set`);
    return fallback;
  }
  return v;
}

// A `resource` given to NodeSDK replaces its default one (telemetry.sdk.*): merge into that.
// No metric readers, no log processors: the AI SDK records neither (NodeSDK would otherwise
// set up OTLP ones from the environment).
const sdk = new NodeSDK({
  resource: defaultResource().merge(
    resourceFromAttributes({
      'service.name': env('GENAI_SERVICE_NAME', 'realinstr-vercel-ai'),
      'deployment.environment': env('GENAI_ENVIRONMENT', 'test'),
    }),
  ),
  traceExporter: new OTLPTraceExporter(),
  metricReaders: [],
  logRecordProcessors: [],
});
sdk.start();

const base = env('FAKE_OPENAI_URL').replace(/\/+$/, '');
const openai = createOpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-fake' });
const anthropic = createAnthropic({ baseURL: `${base}/v1`, apiKey: 'sk-fake' });
const workload = JSON.parse(readFileSync(env('GENAI_WORKLOAD_CALLS'), 'utf8'));
const telemetry = { isEnabled: true };

async function makeCall(call) {
  const common = { headers: call.headers, maxRetries: 0, experimental_telemetry: telemetry };
  if (call.operation === 'embeddings') {
    await embedMany({ model: openai.embedding(call.model), values: call.inputs, ...common });
    return;
  }
  const model = call.sdk === 'anthropic' ? anthropic(call.model) : openai.chat(call.model);
  const settings = { model, messages: workload.messages, maxOutputTokens: 100, ...common };
  if (call.sdk !== 'anthropic') settings.temperature = 0.2;
  if (call.stream) {
    let failure;
    const result = streamText({ ...settings, onError: ({ error }) => { failure = error; } });
    for await (const _ of result.textStream) {
      // consume fully: the AI SDK ends its spans when the stream ends
    }
    if (failure !== undefined) throw failure;
  } else {
    await generateText(settings);
  }
}

const pauseMs = Number(process.env.GENAI_FIRST_CALL_PAUSE_MS || '0');
const made = [];
for (const [i, call] of workload.calls.entries()) {
  if (i === 1 && pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  const { headers, ...record } = call;
  try {
    await makeCall(call);
  } catch (e) {
    if (call.error_type === null) throw e;
    const status = APICallError.isInstance(e) ? e.statusCode : undefined;
    if (status !== call.status) {
      throw new Error(`${call.name}: expected HTTP ${call.status} (${call.error_type}), got ${e?.name}: ${e?.message}`);
    }
    made.push({ ...record, sdk_error: e.name });
    continue;
  }
  if (call.error_type !== null) throw new Error(`${call.name}: expected ${call.error_type}, call succeeded`);
  made.push(record);
}

await sdk.shutdown(); // flushes the batch span processor

const manifest = process.env.GENAI_MANIFEST;
if (manifest) {
  const doc = { library: 'ai', version: require('ai/package.json').version, calls: made };
  writeFileSync(manifest, JSON.stringify(sortKeys(doc), null, 2) + '\n');
}

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
  return v;
}
