package dev.clgrad.backend;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A test run once per OpenCL backend of {@link TestBackends#openCl()} (one per binding); the method
 * takes an {@code OpenClBackend}. Under {@code CI=true} with no OpenCL device, it fails.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@ParameterizedTest(name = "{0}", autoCloseArguments = false)
@MethodSource("dev.clgrad.backend.TestBackends#openCl")
public @interface OpenClTest {
}
