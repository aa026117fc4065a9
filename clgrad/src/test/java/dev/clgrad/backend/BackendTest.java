package dev.clgrad.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test run once per backend of {@link TestBackends#all()}; the method takes a {@link Backend}.
 * The shared backends are not closed after each invocation (JUnit closes AutoCloseable arguments
 * by default).
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}", autoCloseArguments = false)
@MethodSource("dev.clgrad.backend.TestBackends#all")
public @interface BackendTest {
}
