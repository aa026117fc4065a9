package dev.clgrad.io;

import java.io.IOException;

/**
 * A model config that cannot be used: malformed JSON, or a value at a JSON path that is missing,
 * of the wrong kind or out of range. The message names the file, the path and what was expected,
 * e.g. {@code model.json: $.layers[1].rate: expected a number in [0, 1), got 1.5}.
 */
public final class ConfigException extends IOException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
