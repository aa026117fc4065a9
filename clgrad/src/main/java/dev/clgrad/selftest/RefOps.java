package dev.clgrad.selftest;

import dev.clgrad.ops.Activation;
import dev.clgrad.ops.ApplyAlphaMask;
import dev.clgrad.ops.GaussianNoise;
import dev.clgrad.ops.MatMul;
import dev.clgrad.ops.Op;
import dev.clgrad.ops.Philox;
import dev.clgrad.ops.Pooling;
import dev.clgrad.ops.Window;

import java.util.Arrays;

/**
 * The float64 reference of every {@link Op}, forward and backward, in plain loops: the oracle
 * {@link Conformance} compares every backend against. A fused op's reference is the composition of
 * its parts' references, never a fused formula of its own. Inputs are not modified unless a method
 * says so. Matrices are row-major; activations use {@link Activation#reference} and
 * {@link Activation#referenceDerivative}; dropout uses {@link Philox#keep}, the mask spec.
 */
public final class RefOps {
    private RefOps() {
    }

    /** C = alpha·op(A)·op(B) + beta·C, op(A): (M, K), op(B): (K, N); with beta 0, C is ignored. */
    public static double[] gemm(boolean transA, boolean transB, int m, int n, int k, double alpha, double[] a,
                                double[] b, double beta, double[] c) {
        return MatMul.reference(transA, transB, m, n, k, alpha, a, b, beta, c);
    }

    /** x: any → {@code y = f(x)} ({@link Activation#reference}). */
    public static double[] act(Activation a, double[] x) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = a.reference(x[i]);
        }
        return y;
    }

    /**
     * y, dY: the same shape → {@code dX = dY·g(y)}, g the derivative from the output
     * ({@link Activation#referenceDerivative}).
     */
    public static double[] actBackward(Activation a, double[] y, double[] dY) {
        double[] dX = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            dX[i] = dY[i] * a.referenceDerivative(y[i]);
        }
        return dX;
    }

    /** x: (R, C), bias: (C) → {@code f(x[r, c] + bias[c])}: (R, C). */
    public static double[] biasAct(double[] x, double[] bias, Activation a) {
        int cols = bias.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = a.reference(x[i] + bias[i % cols]);
        }
        return y;
    }

    /** x: (R, C), bias: (C) → x[r, c] + bias[c], then max(0, ·) when relu. */
    public static double[] biasAdd(double[] x, double[] bias, boolean relu) {
        return biasAct(x, bias, relu ? Activation.RELU : Activation.LINEAR);
    }

    public static double[] reluForward(double[] x) {
        return act(Activation.RELU, x);
    }

    /** dX = dY·[y > 0]. */
    public static double[] reluBackward(double[] y, double[] dY) {
        return actBackward(Activation.RELU, y, dY);
    }

    /**
     * A matmul's forward epilogue on its product s: (M, N), unfused: {@code mask(f(s + bias))}, the
     * mask indexed by the row-major element {@code m·N + n}; bias may be null (none), p 0 means no
     * mask. s not modified.
     */
    public static double[] forwardEpilogue(double[] s, int cols, double[] bias, Activation a, float p, long seed,
                                           long offset) {
        if (bias != null && bias.length != cols) {
            throw new IllegalArgumentException("forwardEpilogue: bias has " + bias.length + " values for " + cols
                    + " columns");
        }
        double[] y = bias == null ? act(a, s) : biasAct(s, bias, a);
        return p > 0 ? dropout(y, p, seed, offset) : y;
    }

    /** A matmul's gate epilogue on its product s, unfused: {@code s·g(gate)}, the activation's backward. */
    public static double[] gateEpilogue(double[] s, Activation a, double[] gate) {
        return actBackward(a, gate, s);
    }

    /** Each value rounded to float32, as a backend stores it: a reference then sees the operand the backend sees. */
    public static double[] rounded(double[] x) {
        double[] r = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = (float) x[i];
        }
        return r;
    }

    /** y = keep(i) ? x/(1-p) : 0; the backward is the same map applied to dY. */
    public static double[] dropout(double[] x, float p, long seed, long offset) {
        int t = Philox.threshold(p);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = Philox.keep(seed, offset, i, t) ? x[i] / (1.0 - p) : 0;
        }
        return y;
    }

    /** The keep bits of a dropout call. */
    public static boolean[] dropoutMask(int n, float p, long seed, long offset) {
        int t = Philox.threshold(p);
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) {
            keep[i] = Philox.keep(seed, offset, i, t);
        }
        return keep;
    }

    /** One Adam/AdamW step (DESIGN formula), in place on p, m, v (modified); g not modified. */
    public static void adamStep(double[] p, double[] g, double[] m, double[] v, double lr, double b1, double b2,
                                double eps, double wd, long t) {
        double bc1 = 1 - Math.pow(b1, t);
        double bc2 = 1 - Math.pow(b2, t);
        for (int i = 0; i < p.length; i++) {
            p[i] -= lr * wd * p[i];
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            p[i] -= lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + eps);
        }
    }

    /** SGD with momentum (PyTorch), in place on p and vel (modified; vel unused when momentum is 0). */
    public static void sgdStep(double[] p, double[] g, double[] vel, double lr, double momentum, double wd) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + wd * p[i];
            if (momentum != 0) {
                vel[i] = momentum * vel[i] + gi;
                gi = vel[i];
            }
            p[i] -= lr * gi;
        }
    }

    /** Σ x², the squared L2 norm a norm clip reads. */
    public static double sumSquares(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v * v;
        }
        return s;
    }

    /**
     * g clipped ({@code dev.clgrad.ops.Clip}): clamped to [-value, value] when value > 0, else
     * scaled by {@code norm / max(sqrt(sq), norm)} when norm > 0.
     */
    public static double[] clipped(double[] g, double value, double norm, double sq) {
        double[] out = g.clone();
        for (int i = 0; i < g.length; i++) {
            if (value > 0) {
                out[i] = Math.max(-value, Math.min(value, g[i]));
            } else if (norm > 0) {
                out[i] = g[i] * norm / Math.max(Math.sqrt(sq), norm);
            }
        }
        return out;
    }

    /** SGD with (Nesterov) momentum, PyTorch's form, in place on p and vel (modified). */
    public static void sgdNesterovStep(double[] p, double[] g, double[] vel, double lr, double momentum, double wd) {
        for (int i = 0; i < p.length; i++) {
            double gi = g[i] + wd * p[i];
            vel[i] = momentum * vel[i] + gi;
            p[i] -= lr * (gi + momentum * vel[i]);
        }
    }

    /** RMSprop (PyTorch's form, momentum 0), in place on p, v and gAvg (null unless centered). */
    public static void rmspropStep(double[] p, double[] g, double[] v, double[] gAvg, double lr, double rho, double eps) {
        for (int i = 0; i < p.length; i++) {
            v[i] = rho * v[i] + (1 - rho) * g[i] * g[i];
            double var = v[i];
            if (gAvg != null) {
                gAvg[i] = rho * gAvg[i] + (1 - rho) * g[i];
                var -= gAvg[i] * gAvg[i];
            }
            p[i] -= lr * g[i] / (Math.sqrt(var) + eps);
        }
    }

    /** Adagrad (PyTorch's form), in place on p and acc. */
    public static void adagradStep(double[] p, double[] g, double[] acc, double lr, double eps) {
        for (int i = 0; i < p.length; i++) {
            acc[i] += g[i] * g[i];
            p[i] -= lr * g[i] / (Math.sqrt(acc[i]) + eps);
        }
    }

    /** mean((pred - target)²). */
    public static double mse(double[] pred, double[] target) {
        double s = 0;
        for (int i = 0; i < pred.length; i++) {
            s += (pred[i] - target[i]) * (pred[i] - target[i]);
        }
        return s / pred.length;
    }

    /** dPred = 2·(pred - target)/n. */
    public static double[] mseBackward(double[] pred, double[] target) {
        double[] d = new double[pred.length];
        for (int i = 0; i < pred.length; i++) {
            d[i] = 2 * (pred[i] - target[i]) / pred.length;
        }
        return d;
    }

    /** logits: (B, C) → mean_b(logsumexp(logits[b]) - logits[b, label_b]), max-subtracted. */
    public static double softmaxCrossEntropy(double[] logits, int cols, int[] labels) {
        double s = 0;
        for (int r = 0; r < labels.length; r++) {
            s += logSumExp(logits, r * cols, cols) - logits[r * cols + labels[r]];
        }
        return s / labels.length;
    }

    /** dLogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B. */
    public static double[] softmaxCrossEntropyBackward(double[] logits, int cols, int[] labels) {
        double[] d = new double[logits.length];
        for (int r = 0; r < labels.length; r++) {
            double lse = logSumExp(logits, r * cols, cols);
            for (int c = 0; c < cols; c++) {
                d[r * cols + c] = (Math.exp(logits[r * cols + c] - lse) - (c == labels[r] ? 1 : 0)) / labels.length;
            }
        }
        return d;
    }

    private static double logSumExp(double[] x, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < n; c++) {
            max = Math.max(max, x[from + c]);
        }
        double s = 0;
        for (int c = 0; c < n; c++) {
            s += Math.exp(x[from + c] - max);
        }
        return max + Math.log(s);
    }

    /** #{b : argmax(logits[b]) == label_b}, the first maximum on ties. */
    public static int accuracyCount(double[] logits, int cols, int[] labels) {
        int hits = 0;
        for (int r = 0; r < labels.length; r++) {
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (logits[r * cols + c] > logits[r * cols + best]) {
                    best = c;
                }
            }
            hits += best == labels[r] ? 1 : 0;
        }
        return hits;
    }

    /**
     * x: (B, H, W, C) → cols: (B·OH·OW, KH·KW·C) of {@link dev.clgrad.ops.Im2Col}:
     * {@code cols[(b·OH + oh)·OW + ow, (kh·KW + kw)·C + c] = x[b, ih, iw, c]}, 0 in the padding.
     */
    public static double[] im2col(double[] x, int batch, int channels, Window w) {
        int k = w.taps() * channels;
        double[] cols = new double[batch * w.oh() * w.ow() * k];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int row = ((b * w.oh() + oh) * w.ow() + ow) * k;
                    for (int kh = 0; kh < w.kh(); kh++) {
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                            int iw = ow * w.sw() - w.padLeft() + kw * w.dw();
                            if (ih < 0 || ih >= w.h() || iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            for (int c = 0; c < channels; c++) {
                                cols[row + (kh * w.kw() + kw) * channels + c] = x[((b * w.h() + ih) * w.w() + iw)
                                        * channels + c];
                            }
                        }
                    }
                }
            }
        }
        return cols;
    }

    /**
     * cols: (B·OH·OW, KH·KW·C) → dx: (B, H, W, C) of {@link dev.clgrad.ops.Col2Im}, as a scatter:
     * every cols entry added into the element of x that {@link #im2col} copies it from (entries
     * in the padding dropped).
     */
    public static double[] col2im(double[] cols, int batch, int channels, Window w) {
        int k = w.taps() * channels;
        double[] dx = new double[batch * w.h() * w.w() * channels];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int row = ((b * w.oh() + oh) * w.ow() + ow) * k;
                    for (int kh = 0; kh < w.kh(); kh++) {
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                            int iw = ow * w.sw() - w.padLeft() + kw * w.dw();
                            if (ih < 0 || ih >= w.h() || iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            for (int c = 0; c < channels; c++) {
                                dx[((b * w.h() + ih) * w.w() + iw) * channels + c] += cols[row + (kh * w.kw() + kw)
                                        * channels + c];
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /**
     * A Conv2D by its definition: x: (B, H, W, C), kernel: (KH, KW, C, F), bias: (F) or null →
     * {@code y[b, oh, ow, f] = bias[f] + Σ_{kh, kw, c} x[b, ih, iw, c]·kernel[kh, kw, c, f]}: (B, OH, OW, F),
     * the padding reading 0.
     */
    public static double[] conv2d(double[] x, int batch, int channels, double[] kernel, int filters, double[] bias,
                                  Window w) {
        double[] y = new double[batch * w.oh() * w.ow() * filters];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int out = ((b * w.oh() + oh) * w.ow() + ow) * filters;
                    for (int f = 0; f < filters; f++) {
                        y[out + f] = bias == null ? 0 : bias[f];
                    }
                    for (int kh = 0; kh < w.kh(); kh++) {
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                            int iw = ow * w.sw() - w.padLeft() + kw * w.dw();
                            if (ih < 0 || ih >= w.h() || iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            for (int c = 0; c < channels; c++) {
                                double v = x[((b * w.h() + ih) * w.w() + iw) * channels + c];
                                int k0 = ((kh * w.kw() + kw) * channels + c) * filters;
                                for (int f = 0; f < filters; f++) {
                                    y[out + f] += v * kernel[k0 + f];
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /**
     * The input gradient of {@link #conv2d}: dY: (B, OH, OW, F), kernel: (KH, KW, C, F) →
     * {@code dX[b, ih, iw, c] = Σ dY[b, oh, ow, f]·kernel[kh, kw, c, f]} over the windows that read
     * (ih, iw): (B, H, W, C).
     */
    public static double[] conv2dBackwardData(double[] dy, int batch, int channels, double[] kernel, int filters,
                                              Window w) {
        double[] dx = new double[batch * w.h() * w.w() * channels];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int out = ((b * w.oh() + oh) * w.ow() + ow) * filters;
                    for (int kh = 0; kh < w.kh(); kh++) {
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                            int iw = ow * w.sw() - w.padLeft() + kw * w.dw();
                            if (ih < 0 || ih >= w.h() || iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            for (int c = 0; c < channels; c++) {
                                int k0 = ((kh * w.kw() + kw) * channels + c) * filters;
                                double s = 0;
                                for (int f = 0; f < filters; f++) {
                                    s += dy[out + f] * kernel[k0 + f];
                                }
                                dx[((b * w.h() + ih) * w.w() + iw) * channels + c] += s;
                            }
                        }
                    }
                }
            }
        }
        return dx;
    }

    /**
     * The kernel gradient of {@link #conv2d}: x: (B, H, W, C), dY: (B, OH, OW, F) →
     * {@code dKernel[kh, kw, c, f] = Σ_{b, oh, ow} x[b, ih, iw, c]·dY[b, oh, ow, f]}: (KH, KW, C, F).
     */
    public static double[] conv2dBackwardFilter(double[] x, int batch, int channels, double[] dy, int filters,
                                                Window w) {
        double[] dk = new double[w.taps() * channels * filters];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int out = ((b * w.oh() + oh) * w.ow() + ow) * filters;
                    for (int kh = 0; kh < w.kh(); kh++) {
                        for (int kw = 0; kw < w.kw(); kw++) {
                            int ih = oh * w.sh() - w.padTop() + kh * w.dh();
                            int iw = ow * w.sw() - w.padLeft() + kw * w.dw();
                            if (ih < 0 || ih >= w.h() || iw < 0 || iw >= w.w()) {
                                continue;
                            }
                            for (int c = 0; c < channels; c++) {
                                double v = x[((b * w.h() + ih) * w.w() + iw) * channels + c];
                                int k0 = ((kh * w.kw() + kw) * channels + c) * filters;
                                for (int f = 0; f < filters; f++) {
                                    dk[k0 + f] += v * dy[out + f];
                                }
                            }
                        }
                    }
                }
            }
        }
        return dk;
    }

    /** x: (R, C) → out[c] = sum_r x[r, c]. */
    public static double[] columnSum(double[] x, int cols) {
        double[] out = new double[cols];
        for (int i = 0; i < x.length; i++) {
            out[i % cols] += x[i];
        }
        return out;
    }

    public static double sum(double[] x) {
        double s = 0;
        for (double v : x) {
            s += v;
        }
        return s;
    }

    public static double mean(double[] x) {
        return sum(x) / x.length;
    }
    /**
     * x: (B, H, W, C) → (B, OH, OW, C) pooled over {@code w}'s windows: the largest tap (a NaN tap
     * makes it NaN), or the mean of the taps inside the image.
     */
    public static double[] pool(Pooling kind, Window w, int batch, int channels, double[] x) {
        double[] y = new double[batch * w.oh() * w.ow() * channels];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    for (int c = 0; c < channels; c++) {
                        int[] taps = taps(w, oh, ow);
                        double acc = kind == Pooling.MAX ? Double.NEGATIVE_INFINITY : 0;
                        for (int t : taps) {
                            double v = x[((b * w.h() + t / w.w()) * w.w() + t % w.w()) * channels + c];
                            acc = kind == Pooling.MAX ? (Double.isNaN(v) || Double.isNaN(acc) ? Double.NaN
                                    : Math.max(acc, v)) : acc + v;
                        }
                        y[((b * w.oh() + oh) * w.ow() + ow) * channels + c] = kind == Pooling.MAX ? acc
                                : acc / taps.length;
                    }
                }
            }
        }
        return y;
    }

    /**
     * The backward of {@link #pool}, by scattering each output's gradient: dY: (B, OH, OW, C) →
     * dX: (B, H, W, C). Max: all of dY to the first maximum of the window in scan order (kh, kw),
     * or its first NaN; average: dY / count to each tap inside the image. x: the forward input
     * (max only).
     */
    public static double[] poolBackward(Pooling kind, Window w, int batch, int channels, double[] x, double[] dY) {
        double[] dX = new double[batch * w.h() * w.w() * channels];
        for (int b = 0; b < batch; b++) {
            for (int oh = 0; oh < w.oh(); oh++) {
                for (int ow = 0; ow < w.ow(); ow++) {
                    int[] taps = taps(w, oh, ow);
                    for (int c = 0; c < channels; c++) {
                        double g = dY[((b * w.oh() + oh) * w.ow() + ow) * channels + c];
                        if (kind == Pooling.AVERAGE) {
                            for (int t : taps) {
                                dX[((b * w.h() + t / w.w()) * w.w() + t % w.w()) * channels + c] += g / taps.length;
                            }
                            continue;
                        }
                        int best = -1;
                        for (int t : taps) {
                            double v = x[((b * w.h() + t / w.w()) * w.w() + t % w.w()) * channels + c];
                            double top = best < 0 ? 0 : x[((b * w.h() + best / w.w()) * w.w() + best % w.w()) * channels + c];
                            if (best < 0 || (!Double.isNaN(top) && (Double.isNaN(v) || v > top))) {
                                best = t;
                            }
                        }
                        dX[((b * w.h() + best / w.w()) * w.w() + best % w.w()) * channels + c] += g;
                    }
                }
            }
        }
        return dX;
    }

    /** The taps of window (oh, ow) inside the image, as ih·W + iw, in scan order (kh, then kw). */
    private static int[] taps(Window w, int oh, int ow) {
        int[] out = new int[w.taps()];
        int n = 0;
        for (int kh = 0; kh < w.kh(); kh++) {
            for (int kw = 0; kw < w.kw(); kw++) {
                int ih = oh * w.sh() - w.padTop() + kh;
                int iw = ow * w.sw() - w.padLeft() + kw;
                if (ih >= 0 && ih < w.h() && iw >= 0 && iw < w.w()) {
                    out[n++] = ih * w.w() + iw;
                }
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** x: (N, C) → {mean (C), biased variance (C)}: the batch statistics of batch normalisation. */
    public static double[][] batchNormStats(double[] x, int channels) {
        int n = x.length / channels;
        double[] mean = new double[channels];
        double[] var = new double[channels];
        for (int i = 0; i < x.length; i++) {
            mean[i % channels] += x[i] / n;
        }
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - mean[i % channels];
            var[i % channels] += d * d / n;
        }
        return new double[][] {mean, var};
    }

    /** {@code momentum·moving + (1 − momentum)·batch}, per channel: a moving statistic's update. */
    public static double[] movingUpdate(double[] moving, double[] batch, double momentum) {
        double[] out = new double[moving.length];
        for (int c = 0; c < out.length; c++) {
            out[c] = momentum * moving[c] + (1 - momentum) * batch[c];
        }
        return out;
    }

    /**
     * x: (N, C) → {@code f(gamma·(x − mean)/sqrt(variance + eps) + beta)}; gamma null means 1,
     * beta null 0.
     */
    public static double[] batchNormApply(double[] x, double[] mean, double[] variance, double[] gamma,
                                          double[] beta, double eps, Activation a) {
        int channels = mean.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            double z = (x[i] - mean[c]) / Math.sqrt(variance[c] + eps);
            y[i] = a.reference((gamma == null ? 1 : gamma[c]) * z + (beta == null ? 0 : beta[c]));
        }
        return y;
    }

    /**
     * The training-mode backward of batch normalisation: x, dY: (N, C) → {dX, dGamma, dBeta} with
     * the batch's own statistics, {@code dX = gamma·inv·(dY − mean(dY) − x̂·mean(dY·x̂))}.
     */
    public static double[][] batchNormBackward(double[] x, double[] dY, double[] gamma, double eps, int channels) {
        int n = x.length / channels;
        double[][] stats = batchNormStats(x, channels);
        double[] dGamma = new double[channels];
        double[] dBeta = new double[channels];
        double[] xhat = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            xhat[i] = (x[i] - stats[0][c]) / Math.sqrt(stats[1][c] + eps);
            dBeta[c] += dY[i];
            dGamma[c] += dY[i] * xhat[i];
        }
        double[] dX = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int c = i % channels;
            dX[i] = (gamma == null ? 1 : gamma[c]) / Math.sqrt(stats[1][c] + eps)
                    * (dY[i] - dBeta[c] / n - xhat[i] * dGamma[c] / n);
        }
        return new double[][] {dX, dGamma, dBeta};
    }

    /**
     * x: (B, S, C) → {@code keep(b·C + c) ? x/(1-p) : 0}: spatial dropout, one mask element per
     * (sample, channel) from a mask call over B·C elements.
     */
    public static double[] channelDropout(double[] x, int batch, int channels, float p, long seed, long offset) {
        boolean[] keep = dropoutMask(batch * channels, p, seed, offset);
        int perSample = x.length / batch;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = keep[i / perSample * channels + i % channels] ? x[i] / (1.0 - p) : 0;
        }
        return y;
    }

    /**
     * w: (R, C) as rows·cols values → each column c times
     * {@code (rate·clip(n_c, lo, hi) + (1 − rate)·n_c) / (1e-7 + n_c)}, n_c its norm: Keras's norm
     * constraints.
     */
    public static double[] renorm(double[] w, int cols, double lo, double hi, double rate) {
        double[] norms = new double[cols];
        for (int i = 0; i < w.length; i++) {
            norms[i % cols] += w[i] * w[i];
        }
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            double n = Math.sqrt(norms[i % cols]);
            out[i] = w[i] * (rate * Math.min(Math.max(n, lo), hi) + (1 - rate) * n) / (1e-7 + n);
        }
        return out;
    }

    /** {@code Σ_i (l1·|w_i| + l2·w_i²)}: Keras's L1L2 penalty. */
    public static double penalty(double[] w, double l1, double l2) {
        double s = 0;
        for (double v : w) {
            s += l1 * Math.abs(v) + l2 * v * v;
        }
        return s;
    }

    /** {@code g + l1·sign(w) + 2·l2·w}: a gradient with the penalty's added. */
    public static double[] penaltyGradient(double[] w, double[] g, double l1, double l2) {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = g[i] + l1 * Math.signum(w[i]) + 2 * l2 * w[i];
        }
        return out;
    }

    /** x: (R, C) → softmax of each row, in float64 (max subtracted). Not modified: x. */
    public static double[] softmax(double[] x, int cols) {
        double[] y = new double[x.length];
        for (int r = 0; r < x.length / cols; r++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, x[r * cols + c]);
            }
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += Math.exp(x[r * cols + c] - max);
            }
            for (int c = 0; c < cols; c++) {
                y[r * cols + c] = Math.exp(x[r * cols + c] - max) / sum;
            }
        }
        return y;
    }

    /** y, dY: (R, C) → {@code dX = y·(dY − Σ_row dY·y)}, in float64. Not modified: y, dY. */
    public static double[] softmaxBackward(double[] y, double[] dY, int cols) {
        double[] dX = new double[y.length];
        for (int r = 0; r < y.length / cols; r++) {
            double dot = 0;
            for (int c = 0; c < cols; c++) {
                dot += dY[r * cols + c] * y[r * cols + c];
            }
            for (int c = 0; c < cols; c++) {
                dX[r * cols + c] = y[r * cols + c] * (dY[r * cols + c] - dot);
            }
        }
        return dX;
    }

    // ---- dropout variants ------------------------------------------------------------------------

    /**
     * Gaussian dropout in float64: {@code y[i] = x[i]·(1 + σ·z(i))}, σ = sqrt(p/(1−p)), z by
     * Box–Muller with {@code Math.log}, {@code Math.cos} from the words of the block at
     * {@code offset + i/2} ({@link GaussianNoise}'s convention).
     */
    public static double[] gaussianDropout(double[] x, float p, long seed, long offset) {
        double sigma = Math.sqrt(p / (1.0 - p));
        double[] y = new double[x.length];
        int[] ctr = new int[4];
        for (int i = 0; i < x.length; i++) {
            Philox.counter(offset, i >>> 1, ctr);
            Philox.philox4x32(ctr, Philox.key(seed), ctr);
            int w = 2 * (i & 1);
            double u1 = ((ctr[w] >>> 8) + 1) / 16777216.0;
            double turn = (ctr[w + 1] >>> 8) / 16777216.0;
            double z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * turn);
            y[i] = x[i] * (1 + sigma * z);
        }
        return y;
    }

    /**
     * Alpha dropout in float64 with dropout's mask: {@code keep ? a·x + b : a·α' + b}, or for the
     * gradient {@code keep ? a·x : 0} ({@link ApplyAlphaMask}).
     */
    public static double[] alphaDropout(double[] x, float p, long seed, long offset, boolean gradient) {
        double alpha = ApplyAlphaMask.ALPHA_PRIME;
        double a = 1 / Math.sqrt((1 - p) * (1 + p * alpha * alpha));
        double b = gradient ? 0 : -a * alpha * p;
        boolean[] keep = dropoutMask(x.length, p, seed, offset);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = keep[i] ? a * x[i] + b : gradient ? 0 : a * alpha + b;
        }
        return y;
    }
}
