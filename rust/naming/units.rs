//! UCUM units as words in Prometheus-style metric names: the two tables
//! VictoriaMetrics uses (`unitMap`, `perUnitMap` in its `sanitize.go`, taken
//! from the collector-contrib Prometheus translator).

/// The word for a main unit (before `/`). Unknown units such as `USD` are
/// used verbatim; `1` (dimensionless) has no word.
pub fn main_unit_word(unit: &str) -> &str {
    match unit {
        // Time
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        // Bytes
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        // SI
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        // Misc
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        other => other,
    }
}

/// The word for a unit after `/` (`m/s` -> `per_second`); unknown ones verbatim.
pub fn per_unit_word(unit: &str) -> &str {
    match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_units() {
        assert_eq!(main_unit_word("s"), "seconds");
        assert_eq!(main_unit_word("By"), "bytes");
        assert_eq!(main_unit_word("1"), "");
        assert_eq!(main_unit_word("USD"), "USD");
        assert_eq!(per_unit_word("s"), "second");
        assert_eq!(per_unit_word("request"), "request");
    }
}
