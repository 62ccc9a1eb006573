package org.carbonledger.telemetry.web;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.carbonledger.shared.web.ApiProblem;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4): sample lines
 * {@code name{label="value",...} value [timestamp_ms]}, {@code #} comment, {@code # HELP} and {@code # TYPE} lines
 * and blank lines. Any other line is an error naming its line number. No maintained Java library parses this format
 * (the Prometheus Java client only writes it).
 */
final class PrometheusText {

    /** One sample: metric name, labels in order, the value as written, the timestamp if any. */
    record Sample(int line, String name, Map<String, String> labels, String value, Instant timestamp) {
    }

    private final String text;
    private int pos;
    private int line;

    private PrometheusText(String text) {
        this.text = text;
    }

    static List<Sample> parse(String text) {
        return new PrometheusText(text).samples();
    }

    private List<Sample> samples() {
        List<Sample> samples = new ArrayList<>();
        for (String raw : text.split("\n", -1)) {
            line++;
            String l = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
            if (l.isBlank() || l.stripLeading().startsWith("#")) {
                continue;
            }
            samples.add(sample(l));
        }
        return samples;
    }

    private Sample sample(String l) {
        pos = 0;
        skipBlanks(l);
        String name = name(l, true);
        Map<String, String> labels = new LinkedHashMap<>();
        if (pos < l.length() && l.charAt(pos) == '{') {
            pos++;
            skipBlanks(l);
            while (pos < l.length() && l.charAt(pos) != '}') {
                String label = name(l, false);
                skipBlanks(l);
                expect(l, '=');
                skipBlanks(l);
                String value = quoted(l);
                if (labels.put(label, value) != null) {
                    throw error("label " + label + " appears twice");
                }
                skipBlanks(l);
                if (pos < l.length() && l.charAt(pos) == ',') {
                    pos++;
                    skipBlanks(l);
                } else if (pos >= l.length() || l.charAt(pos) != '}') {
                    throw error("expected , or } after a label");
                }
            }
            expect(l, '}');
        }
        if (pos >= l.length() || (l.charAt(pos) != ' ' && l.charAt(pos) != '\t')) {
            throw error("expected a blank before the value");
        }
        skipBlanks(l);
        String value = token(l);
        if (!value.matches("[+-]?(Inf|NaN|(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?)")) {
            throw error("'" + value + "' is not a number");
        }
        skipBlanks(l);
        Instant timestamp = null;
        if (pos < l.length()) {
            String ts = token(l);
            if (!ts.matches("-?\\d{1,18}")) {
                throw error("'" + ts + "' is not a timestamp in milliseconds");
            }
            timestamp = Instant.ofEpochMilli(Long.parseLong(ts));
            skipBlanks(l);
            if (pos < l.length()) {
                throw error("unexpected text after the timestamp");
            }
        }
        return new Sample(line, name, labels, value, timestamp);
    }

    private String name(String l, boolean metric) {
        int start = pos;
        while (pos < l.length()) {
            char c = l.charAt(pos);
            boolean letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (metric && c == ':');
            if (!(letter || (pos > start && c >= '0' && c <= '9'))) {
                break;
            }
            pos++;
        }
        if (pos == start) {
            throw error("expected a " + (metric ? "metric" : "label") + " name");
        }
        return l.substring(start, pos);
    }

    private String quoted(String l) {
        expect(l, '"');
        StringBuilder sb = new StringBuilder();
        while (pos < l.length() && l.charAt(pos) != '"') {
            char c = l.charAt(pos++);
            if (c == '\\') {
                if (pos >= l.length()) {
                    break;
                }
                char e = l.charAt(pos++);
                switch (e) {
                    case '\\' -> sb.append('\\');
                    case '"' -> sb.append('"');
                    case 'n' -> sb.append('\n');
                    default -> throw error("unknown escape \\" + e + " in a label value");
                }
            } else {
                sb.append(c);
            }
        }
        expect(l, '"');
        return sb.toString();
    }

    private String token(String l) {
        int start = pos;
        while (pos < l.length() && l.charAt(pos) != ' ' && l.charAt(pos) != '\t') {
            pos++;
        }
        return l.substring(start, pos);
    }

    private void expect(String l, char c) {
        if (pos >= l.length() || l.charAt(pos) != c) {
            throw error("expected " + c);
        }
        pos++;
    }

    private void skipBlanks(String l) {
        while (pos < l.length() && (l.charAt(pos) == ' ' || l.charAt(pos) == '\t')) {
            pos++;
        }
    }

    private ApiProblem error(String detail) {
        return new ApiProblem(org.springframework.http.HttpStatus.BAD_REQUEST, "Unreadable request body",
                "line " + line + ", column " + (pos + 1) + ": " + detail, "body");
    }

    /** A sample value as a BigDecimal; NaN and infinities are null. */
    static BigDecimal decimal(String value) {
        if (value.contains("Inf") || value.contains("NaN")) {
            return null;
        }
        return new BigDecimal(value.startsWith("+") ? value.substring(1) : value);
    }
}
