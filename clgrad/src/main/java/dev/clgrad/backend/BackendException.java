package dev.clgrad.backend;

/** A failure inside a backend: a device call that failed, a kernel that did not build. */
public class BackendException extends RuntimeException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
