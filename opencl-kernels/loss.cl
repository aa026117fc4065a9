// loss.cl — losses and the accuracy metric, forward and backward side by side.
//
//   mse_forward:    pred, target: (n)     loss[0] = (accumulate ? loss[0] : 0) + sum_i (pred[i] - target[i])^2 / n
//   mse_backward:   pred, target: (n)     dpred[i] = (pred[i] - target[i]) * (2 / n)
//   softmax_cross_entropy_forward:  logits: (B, C), labels: (B) class indices stored as floats
//       loss[0] = (accumulate ? loss[0] : 0) + (1/B) sum_b (log sum_c exp(logits[b, c] - mx_b) + mx_b - logits[b, label_b])
//       with mx_b = max_c logits[b, c], so exp never overflows (finite for logits of +-1e4).
//   softmax_cross_entropy_backward: dlogits[b, c] = (softmax(logits[b])[c] - [c == label_b]) / B
//   mse_forward_backward: both of the above in one pass; every work-item writes dpred for its
//       share of the elements and adds their squared differences to the loss.
//   softmax_cross_entropy_forward_backward: the forward loss and the backward dlogits in one pass
//       over the rows, each row's logsumexp computed once.
//   accuracy_count: count[0] = (accumulate ? count[0] : 0) + #{b : argmax_c logits[b, c] == label_b},
//       the first maximum on ties, NaN larger than every number (NumPy's and PyTorch's argmax).
// Special values as the Java backend (the spec): NaN propagates; a row's maximum is NaN when the
// row holds one (Java's Math.max; fmax would skip it), so its loss and gradient are NaN; a row
// of -inf is NaN (-inf - -inf); a -inf logit at the label gives +inf.
// A label that is not an integer in [0, C) cannot be reported from a kernel without a host round
// trip; it makes the loss and that row's gradient NaN instead, and never counts as correct.
// Buffers are row-major and contiguous at x_g + x_off; loss and count are one float. Element
// indices such as b * C + c and x_off + i are size_t: B * C may pass 2^31 - 1.
//
// Launch geometry (LossRoutine):
//   mse_forward, softmax_cross_entropy_forward, accuracy_count, mse_forward_backward,
//   softmax_cross_entropy_forward_backward: one work-group of LOSS_WG
//       work-items (global = local = LOSS_WG), each summing its group_share (common.cl) of the
//       elements or rows, then a tree in local memory.
//   mse_backward: global = ceil(n / LOSS_WG) * LOSS_WG, local = LOSS_WG, one work-item per element.
//   softmax_cross_entropy_backward: global = ceil(B / LOSS_WG) * LOSS_WG, local = LOSS_WG, one
//       work-item per row.

#include "common.cl"

#ifndef LOSS_WG
#define LOSS_WG 256   // work-items per work-group; a power of two
#endif

// The class index held by a label, or -1 when it is not an integer in [0, C).
inline int class_index(const float label, const int C) {
    return (label >= 0.0f && label < (float)C && label == floor(label)) ? (int)label : -1;
}

// logsumexp(row) with the maximum subtracted: log(sum_c exp(row[c] - mx)) + mx.
inline float row_logsumexp(__global const float* row, const int C) {
    float mx = row[0];
    for (int c = 1; c < C; c++) {
        mx = row[c] > mx || isnan(row[c]) ? row[c] : mx;
    }
    float s = 0.0f;
    for (int c = 0; c < C; c++) {
        s += exp(row[c] - mx);
    }
    return log(s) + mx;
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_forward(const int n, const int accumulate, __global const float* pred_g, const int pred_off,
                 __global const float* target_g, const int target_off, __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float d = pred_g[pred_off + i] - target_g[target_off + i];
        s = mad(d, d, s);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_backward(const int n, const float scale, __global const float* pred_g, const int pred_off,
                  __global const float* target_g, const int target_off, __global float* dpred_g, const int dpred_off) {
    const size_t i = get_global_id(0);
    if (i < (size_t)n) {
        dpred_g[dpred_off + i] = (pred_g[pred_off + i] - target_g[target_off + i]) * scale;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_forward(const int B, const int C, const int accumulate,
                                   __global const float* logits_g, const int logits_off,
                                   __global const float* labels_g, const int labels_off,
                                   __global float* loss_g, const int loss_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = logits_g + logits_off + (size_t)b * C;
        const int label = class_index(labels_g[labels_off + b], C);
        s += label < 0 ? NAN : row_logsumexp(row, C) - row[label];
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)B;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_backward(const int B, const int C, __global const float* logits_g, const int logits_off,
                                    __global const float* labels_g, const int labels_off,
                                    __global float* dlogits_g, const int dlogits_off) {
    const size_t b = get_global_id(0);
    if (b >= (size_t)B) {
        return;
    }
    __global const float* row = logits_g + logits_off + b * C;
    __global float* drow = dlogits_g + dlogits_off + b * C;
    const int label = class_index(labels_g[labels_off + b], C);
    const float lse = label < 0 ? NAN : row_logsumexp(row, C);
    const float inv_b = 1.0f / (float)B;
    for (int c = 0; c < C; c++) {
        drow[c] = (exp(row[c] - lse) - (c == label ? 1.0f : 0.0f)) * inv_b;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void accuracy_count(const int B, const int C, const int accumulate, __global const float* logits_g,
                    const int logits_off, __global const float* labels_g, const int labels_off,
                    __global float* count_g, const int count_off) {
    __local float s_l[LOSS_WG];
    float hits = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = logits_g + logits_off + (size_t)b * C;
        int best = 0;
        for (int c = 1; c < C; c++) {
            const float v = row[c];
            const float top = row[best];
            if (v > top || (isnan(v) && !isnan(top))) {
                best = c;
            }
        }
        hits += best == class_index(labels_g[labels_off + b], C) ? 1.0f : 0.0f;
    }
    const float total = group_sum(hits, s_l);
    if (get_local_id(0) == 0) {
        count_g[count_off] = (accumulate ? count_g[count_off] : 0.0f) + total;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void mse_forward_backward(const int n, const int accumulate, const float scale,
                          __global const float* pred_g, const int pred_off,
                          __global const float* target_g, const int target_off,
                          __global float* loss_g, const int loss_off, __global float* dpred_g, const int dpred_off) {
    __local float s_l[LOSS_WG];
    float s = 0.0f;
    const int3 share = group_share(n);
    for (size_t i = share.x; i < share.y; i += share.z) {
        const float d = pred_g[pred_off + i] - target_g[target_off + i];
        dpred_g[dpred_off + i] = d * scale;
        s = mad(d, d, s);
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total / (float)n;
    }
}

__kernel __attribute__((reqd_work_group_size(LOSS_WG, 1, 1)))
void softmax_cross_entropy_forward_backward(const int B, const int C, const int accumulate,
                                            __global const float* logits_g, const int logits_off,
                                            __global const float* labels_g, const int labels_off,
                                            __global float* loss_g, const int loss_off,
                                            __global float* dlogits_g, const int dlogits_off) {
    __local float s_l[LOSS_WG];
    const float inv_b = 1.0f / (float)B;
    float s = 0.0f;
    const int3 share = group_share(B);
    for (int b = share.x; b < share.y; b += share.z) {
        __global const float* row = logits_g + logits_off + (size_t)b * C;
        __global float* drow = dlogits_g + dlogits_off + (size_t)b * C;
        const int label = class_index(labels_g[labels_off + b], C);
        const float lse = label < 0 ? NAN : row_logsumexp(row, C);
        s += label < 0 ? NAN : lse - row[label];
        for (int c = 0; c < C; c++) {
            drow[c] = (exp(row[c] - lse) - (c == label ? 1.0f : 0.0f)) * inv_b;
        }
    }
    const float total = group_sum(s, s_l);
    if (get_local_id(0) == 0) {
        loss_g[loss_off] = (accumulate ? loss_g[loss_off] : 0.0f) + total * inv_b;
    }
}
