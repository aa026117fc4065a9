package dev.clgrad.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A JSON object of a config with its JSON path ({@code $.layers[1]}) and file, so that every
 * error can say where it is and what was expected.
 */
final class ConfigNode {
    private final JsonNode node;
    private final String path;
    private final String file;

    ConfigNode(JsonNode node, String path, String file) {
        this.node = node;
        this.path = path;
        this.file = file;
    }

    /** This object as the spec of a layer of {@code type}. */
    ModelConfig.LayerSpec layerSpec(String type) {
        return new ModelConfig.LayerSpec(type, node, path, file);
    }

    ConfigException error(String field, String message) {
        return new ConfigException(file + ": " + (field == null ? path : path + "." + field) + ": " + message);
    }

    /** Rejects keys not in {@code allowed} (catches typos such as {@code unit} for {@code units}). */
    ConfigNode onlyKeys(Set<String> allowed) throws ConfigException {
        Iterator<String> it = node.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw error(k, "unknown key; expected one of " + new TreeSet<>(allowed));
            }
        }
        return this;
    }

    boolean has(String field) {
        return node.has(field) && !node.get(field).isNull();
    }

    JsonNode raw(String field) {
        return node.get(field);
    }

    String string(String field) throws ConfigException {
        JsonNode v = require(field, "a string");
        if (!v.isTextual()) {
            throw error(field, "expected a string, got " + v);
        }
        return v.asText();
    }

    String string(String field, String fallback) throws ConfigException {
        return has(field) ? string(field) : fallback;
    }

    int integer(String field, int min, int max) throws ConfigException {
        JsonNode v = require(field, "an integer in [" + min + ", " + max + "]");
        if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < min || v.asInt() > max) {
            throw error(field, "expected an integer in [" + min + ", " + max + "], got " + v);
        }
        return v.asInt();
    }

    int integer(String field, int min, int max, int fallback) throws ConfigException {
        return has(field) ? integer(field, min, max) : fallback;
    }

    long longValue(String field, long fallback) throws ConfigException {
        if (!has(field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw error(field, "expected an integer, got " + v);
        }
        return v.asLong();
    }

    /**
     * A number in [min, max) when {@code maxOpen}, else [min, max]. Every such value reaches the
     * device as a float32, so one that float32 cannot hold is an error too: beyond its range
     * ({@code 1e39}), or nonzero but rounding to 0 ({@code 1e-50}).
     */
    double number(String field, double min, double max, boolean maxOpen) throws ConfigException {
        String range = "[" + min + ", " + max + (maxOpen ? ")" : "]");
        JsonNode v = require(field, "a number in " + range);
        double d = v.asDouble();
        if (!v.isNumber() || d < min || (maxOpen ? d >= max : d > max) || Double.isNaN(d)) {
            throw error(field, "expected a number in " + range + ", got " + v);
        }
        float f = (float) d;
        if (Float.isInfinite(f) || (d != 0 && f == 0)) {
            throw error(field, "got " + v + ", which float32 cannot hold (" + (Float.isInfinite(f)
                    ? "beyond its largest value " + Float.MAX_VALUE : "it rounds to 0; the smallest is "
                    + Float.MIN_VALUE) + ")");
        }
        return d;
    }

    double number(String field, double min, double max, boolean maxOpen, double fallback) throws ConfigException {
        return has(field) ? number(field, min, max, maxOpen) : fallback;
    }

    boolean bool(String field, boolean fallback) throws ConfigException {
        if (!has(field)) {
            return fallback;
        }
        if (!node.get(field).isBoolean()) {
            throw error(field, "expected true or false, got " + node.get(field));
        }
        return node.get(field).asBoolean();
    }

    ConfigNode object(String field) throws ConfigException {
        JsonNode v = require(field, "an object");
        if (!v.isObject()) {
            throw error(field, "expected an object, got " + v);
        }
        return new ConfigNode(v, path + "." + field, file);
    }

    /**
     * The object {@code field}, a string {@code s} read as the object {@code {"type": s}} (a
     * constraint or regularizer by its name alone); null when absent.
     */
    ConfigNode typed(String field) throws ConfigException {
        if (!has(field)) {
            return null;
        }
        JsonNode v = node.get(field);
        if (v.isTextual()) {
            return new ConfigNode(JsonNodeFactory.instance.objectNode().put("type", v.asText()), path + "." + field,
                    file);
        }
        if (!v.isObject()) {
            throw error(field, "expected a type name or an object with a \"type\", got " + v);
        }
        return object(field);
    }

    /** The elements of an array field, each as an object node. */
    List<ConfigNode> objects(String field) throws ConfigException {
        JsonNode v = require(field, "an array of objects");
        if (!v.isArray() || v.isEmpty()) {
            throw error(field, "expected a non-empty array of objects, got " + v);
        }
        List<ConfigNode> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            String p = path + "." + field + "[" + i + "]";
            if (!v.get(i).isObject()) {
                throw new ConfigException(file + ": " + p + ": expected an object, got " + v.get(i));
            }
            out.add(new ConfigNode(v.get(i), p, file));
        }
        return out;
    }

    /** The required array {@code field} of integers, each in [min, max]. */
    List<Integer> integers(String field, int min, int max) throws ConfigException {
        JsonNode v = require(field, "an array of integers in [" + min + ", " + max + "]");
        if (!v.isArray()) {
            throw error(field, "expected an array of integers in [" + min + ", " + max + "], got " + v);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.asInt() < min || e.asInt() > max) {
                throw error(field + "[" + i + "]", "expected an integer in [" + min + ", " + max + "], got " + e);
            }
            out.add(e.asInt());
        }
        return out;
    }

    /**
     * A pair of integers in [min, max], written as one integer (both the same, as Keras's
     * {@code kernel_size: 3}) or as an array of two; {@code fallback} when absent (required when
     * {@code fallback} is null).
     */
    int[] pair(String field, int min, int max, int[] fallback) throws ConfigException {
        if (!has(field) && fallback != null) {
            return fallback.clone();
        }
        JsonNode v = require(field, "an integer or an array of two integers in [" + min + ", " + max + "]");
        if (v.isIntegralNumber()) {
            int n = integer(field, min, max);
            return new int[] {n, n};
        }
        if (!v.isArray() || v.size() != 2) {
            throw error(field, "expected an integer or an array of two integers in [" + min + ", " + max + "], got " + v);
        }
        List<Integer> two = integers(field, min, max);
        return new int[] {two.get(0), two.get(1)};
    }

    /** The elements of an array of strings; empty when the field is absent. */
    List<String> strings(String field) throws ConfigException {
        if (!has(field)) {
            return List.of();
        }
        JsonNode v = node.get(field);
        if (!v.isArray()) {
            throw error(field, "expected an array of strings, got " + v);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw error(field + "[" + i + "]", "expected a string, got " + v.get(i));
            }
            out.add(v.get(i).asText());
        }
        return out;
    }

    /** The required integer {@code field}. */
    long longValue(String field) throws ConfigException {
        require(field, "an integer");
        return longValue(field, 0);
    }

    /** The required array {@code field} of numbers, each in [min, max]. */
    double[] numbers(String field, double min, double max) throws ConfigException {
        JsonNode v = require(field, "an array of numbers in [" + min + ", " + max + "]");
        if (!v.isArray()) {
            throw error(field, "expected an array of numbers in [" + min + ", " + max + "], got " + v);
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isNumber() || e.asDouble() < min || e.asDouble() > max) {
                throw error(field + "[" + i + "]", "expected a number in [" + min + ", " + max + "], got " + e);
            }
            out[i] = e.asDouble();
        }
        return out;
    }

    private JsonNode require(String field, String expected) throws ConfigException {
        if (!has(field)) {
            throw error(field, "missing; expected " + expected);
        }
        return node.get(field);
    }
}
