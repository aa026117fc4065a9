package dev.clgrad.ops;

/**
 * The geometry of a 2-D sliding window over NHWC images, shared by convolution and pooling:
 * input (H, W) per channel, window (KH, KW) with strides (SH, SW) and dilations (DH, DW), padding
 * (PT top, PL left) → output (OH, OW). Output pixel (oh, ow) reads the input rows
 * {@code ih = oh·SH − PT + kh·DH} for kh in [0, KH) and the columns
 * {@code iw = ow·SW − PL + kw·DW} for kw in [0, KW); positions outside the input are padding.
 *
 * <p>Keras's padding rules ({@link #keras}): {@code "valid"} has no padding and
 * {@code OH = floor((H − (KH−1)·DH − 1) / SH) + 1}; {@code "same"} gives {@code OH = ceil(H / SH)}
 * and pads {@code max((OH−1)·SH + (KH−1)·DH + 1 − H, 0)} rows in all, the smaller half on top
 * (as TensorFlow does: an even kernel pads one more row at the bottom). The same for columns.
 */
public record Window(int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft,
                     int oh, int ow) {

    public Window {
        if (h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1 || oh < 1 || ow < 1
                || padTop < 0 || padLeft < 0) {
            throw new IllegalArgumentException("window: every size must be >= 1 and padding >= 0, got " + describe(
                    h, w, kh, kw, sh, sw, dh, dw) + ", padding (" + padTop + ", " + padLeft + "), output (" + oh
                    + ", " + ow + ")");
        }
    }

    /**
     * The window Keras computes for {@code padding} ("valid" or "same").
     *
     * @throws IllegalArgumentException naming the sizes when the dilated kernel is larger than a
     *                                  valid-padded input, or for an unknown padding
     */
    public static Window keras(int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, String padding) {
        if (h < 1 || w < 1 || kh < 1 || kw < 1 || sh < 1 || sw < 1 || dh < 1 || dw < 1) {
            throw new IllegalArgumentException("window: every size must be >= 1, got "
                    + describe(h, w, kh, kw, sh, sw, dh, dw));
        }
        int effH = (kh - 1) * dh + 1;
        int effW = (kw - 1) * dw + 1;
        switch (padding) {
            case "valid" -> {
                if (effH > h || effW > w) {
                    throw new IllegalArgumentException("window: the kernel " + kh + "x" + kw
                            + (dh > 1 || dw > 1 ? " (dilated to " + effH + "x" + effW + ")" : "")
                            + " is larger than the input " + h + "x" + w + " with padding \"valid\";"
                            + " use padding \"same\" or a smaller kernel");
                }
                return new Window(h, w, kh, kw, sh, sw, dh, dw, 0, 0, (h - effH) / sh + 1, (w - effW) / sw + 1);
            }
            case "same" -> {
                int oh = (h + sh - 1) / sh;
                int ow = (w + sw - 1) / sw;
                int padH = Math.max((oh - 1) * sh + effH - h, 0);
                int padW = Math.max((ow - 1) * sw + effW - w, 0);
                return new Window(h, w, kh, kw, sh, sw, dh, dw, padH / 2, padW / 2, oh, ow);
            }
            default -> throw new IllegalArgumentException("window: padding must be \"valid\" or \"same\", got \""
                    + padding + "\"");
        }
    }

    /**
     * The padding rows below the input: the rows the last window reaches past it,
     * {@code max((OH−1)·SH + (KH−1)·DH + 1 − H − PT, 0)}; with {@link #keras}'s "same", the larger
     * half of the padding.
     */
    public int padBottom() {
        return Math.max((oh - 1) * sh + (kh - 1) * dh + 1 - h - padTop, 0);
    }

    /** The padding columns right of the input, as {@link #padBottom} for rows. */
    public int padRight() {
        return Math.max((ow - 1) * sw + (kw - 1) * dw + 1 - w - padLeft, 0);
    }

    /** ONNX's {@code pads} of a 2-D window: (PT, PL, bottom, right). */
    public int[] onnxPads() {
        return new int[] {padTop, padLeft, padBottom(), padRight()};
    }

    /** KH·KW: the taps of one window. */
    public int taps() {
        return kh * kw;
    }

    /** OH·OW: the output pixels of one image. */
    public int outputPixels() {
        return oh * ow;
    }

    private static String describe(int h, int w, int kh, int kw, int sh, int sw, int dh, int dw) {
        return "input " + h + "x" + w + ", kernel " + kh + "x" + kw + ", strides (" + sh + ", " + sw
                + "), dilation (" + dh + ", " + dw + ")";
    }

    @Override
    public String toString() {
        return "window(" + h + "x" + w + " → " + oh + "x" + ow + ", kernel " + kh + "x" + kw + ", strides " + sh
                + "x" + sw + ", dilation " + dh + "x" + dw + ", pad " + padTop + "," + padLeft + ")";
    }
}
