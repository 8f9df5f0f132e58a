"""Print what a captured library emits: resource attributes, span/metric/log keys, units.

    python tests/realinstr/summarize.py tests/fixtures/captured/<name>

Reads the fixtures' JSON (no protobuf package needed); used to write docs/instrumentation.md.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def value(v: dict):
    for k, x in v.items():
        if k == "arrayValue":
            return [value(i) for i in x.get("values", [])]
        return x
    return None


def attrs(lst) -> dict:
    return {kv["key"]: value(kv.get("value", {})) for kv in lst or []}


def main(d: Path) -> None:
    for signal in ("traces", "metrics", "logs"):
        p = d / f"{signal}.json"
        if not p.exists():
            print(f"== {signal}: none")
            continue
        doc = json.loads(p.read_text())
        container = {"traces": "resourceSpans", "metrics": "resourceMetrics", "logs": "resourceLogs"}[signal]
        for rb in doc.get(container, []):
            print(f"== {signal} resource: {attrs(rb['resource'].get('attributes'))}")
            for sb in rb.get({"traces": "scopeSpans", "metrics": "scopeMetrics", "logs": "scopeLogs"}[signal], []):
                print(f"  scope: {sb['scope'].get('name')} {sb['scope'].get('version', '')} schema={sb.get('schemaUrl', '')}")
                if signal == "traces":
                    keys = defaultdict(set)
                    for sp in sb.get("spans", []):
                        a = attrs(sp.get("attributes"))
                        print(f"    span {sp['name']!r} kind={sp.get('kind')} status={sp.get('status', {}).get('code', '')} "
                              f"provider={a.get('gen_ai.provider.name')} system={a.get('gen_ai.system')} "
                              f"in={a.get('gen_ai.usage.input_tokens')} out={a.get('gen_ai.usage.output_tokens')} "
                              f"cost={a.get('gen_ai.usage.cost')} err={a.get('error.type')} "
                              f"events={[e['name'] for e in sp.get('events', [])]}")
                        for k in a:
                            keys[k].add(sp["name"].split(" ")[0])
                    print("    span attribute keys: " + ", ".join(sorted(keys)))
                elif signal == "metrics":
                    for m in sb.get("metrics", []):
                        kind = next(k for k in ("histogram", "sum", "gauge", "exponentialHistogram") if k in m)
                        body = m[kind]
                        dps = body.get("dataPoints", [])
                        keys = sorted({k for dp in dps for k in attrs(dp.get("attributes"))})
                        print(f"    metric {m['name']} unit={m.get('unit', '')!r} {kind} "
                              f"temporality={body.get('aggregationTemporality', '')} mono={body.get('isMonotonic', '')} points={len(dps)}")
                        print(f"      point keys: {', '.join(keys)}")
                        for dp in dps[:60]:
                            a = attrs(dp.get("attributes"))
                            short = {k: a[k] for k in a if k.startswith(("gen_ai.request.model", "gen_ai.token.type", "gen_ai.operation", "error.type", "gen_ai.provider", "gen_ai.system"))}
                            val = dp.get("count", dp.get("asInt", dp.get("asDouble")))
                            print(f"        {short} count/value={val} sum={dp.get('sum', '')}")
                else:
                    for lr in sb.get("logRecords", []):
                        a = attrs(lr.get("attributes"))
                        body = json.dumps(lr.get("body", {}))[:120]
                        print(f"    log event={lr.get('eventName', '')!r} severity={lr.get('severityNumber', '')} keys={sorted(a)} body={body}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
