package dev.clgrad.io;

import dev.clgrad.nn.LayerConfig;

import java.util.Set;

/**
 * A layer's JSON object as the layer reads it ({@link LayerConfig}); a bad value is a
 * {@link Invalid} carrying the {@link ConfigException} that names the file and the JSON path.
 */
final class JsonLayerConfig implements LayerConfig {
    /** A config error raised through the layer's reader, unwrapped by the caller. */
    static final class Invalid extends RuntimeException {
        Invalid(ConfigException cause) {
            super(cause.getMessage(), cause);
        }

        ConfigException cause() {
            return (ConfigException) getCause();
        }
    }

    private final ConfigNode node;

    JsonLayerConfig(ConfigNode node) {
        this.node = node;
    }

    @Override
    public int integer(String key, int min, int max) {
        try {
            return node.integer(key, min, max);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public int integer(String key, int min, int max, int fallback) {
        try {
            return node.integer(key, min, max, fallback);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public int[] pair(String key, int min, int max, int[] fallback) {
        try {
            return node.pair(key, min, max, fallback);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public int[] integers(String key, int min, int max) {
        try {
            return node.integers(key, min, max).stream().mapToInt(Integer::intValue).toArray();
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public boolean bool(String key, boolean fallback) {
        try {
            return node.bool(key, fallback);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public double number(String key, double min, double max, boolean maxOpen) {
        try {
            return node.number(key, min, max, maxOpen);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public double number(String key, double min, double max, boolean maxOpen, double fallback) {
        try {
            return node.number(key, min, max, maxOpen, fallback);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public String string(String key, String fallback) {
        try {
            return node.string(key, fallback);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public LayerConfig object(String key) {
        try {
            ConfigNode o = node.typed(key);
            return o == null ? null : new JsonLayerConfig(o);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public void onlyKeys(Set<String> keys) {
        try {
            node.onlyKeys(keys);
        } catch (ConfigException e) {
            throw new Invalid(e);
        }
    }

    @Override
    public RuntimeException error(String key, String message) {
        return new Invalid(node.error(key, message));
    }
}
