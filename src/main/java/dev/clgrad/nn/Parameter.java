package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;

/**
 * One named parameter of a layer, such as {@code dense_1.kernel} with shape (I, O). Its values live
 * in the model's flat parameter tensor at {@code offset}, its gradient at the same offset of the
 * flat gradient tensor.
 */
public record Parameter(String name, Shape shape, long offset) {
}
