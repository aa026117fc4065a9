package dev.clgrad.nn;

import dev.clgrad.tensor.Shape;

/**
 * One named parameter of a layer, such as {@code dense_1.kernel} with shape (I, O). Its values live
 * in its group's flat tensor at {@code offset} (a trainable parameter's gradient at the same
 * offset of the group's gradient tensor); its constraint and penalty as its layer declared them
 * ({@link ParamSpec}), each null when none.
 */
public record Parameter(String name, Shape shape, long offset, boolean trainable, Constraint constraint,
                        Regularizer regularizer) {
}
