// philox.cl — Philox4x32-10 counter-based RNG (Salmon, Moraes, Dror, Shaw, "Parallel random
// numbers: as easy as 1, 2, 3", SC'11; the Random123 reference) and the dropout counter
// convention of DESIGN.md. dev.clgrad.backend.Philox is the Java twin; both give the same bits.
//
// One block: ctr = (c0, c1, c2, c3), key = (k0, k1), all uint; ten rounds of
//   (hi0, lo0) = M0 * c0,  (hi1, lo1) = M1 * c2            (32 x 32 -> 64-bit products)
//   (c0, c1, c2, c3) <- (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
//   (k0, k1) <- (k0 + W0, k1 + W1)                           (between rounds)
// with M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85.
//
// Dropout counters: element i of a call with 64-bit counter base `offset` uses the 128-bit block
// counter offset + i/4, as words (c0 = lowest 32 bits ... c3 = highest), and lane i % 4 of the
// block; key = (seed low 32 bits, seed high 32 bits).
//
// Entry point
//   philox_kat   one block for the known-answer tests: out_g[out_off + j] = as_float(philox(ctr, key)[j]),
//                j < 4; launch global = (1).

#ifndef CLGRAD_PHILOX_CL
#define CLGRAD_PHILOX_CL

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

inline uint4 philox4x32_10(uint4 ctr, uint2 key) {
    #pragma unroll
    for (int r = 0; r < 10; r++) {
        const uint hi0 = mul_hi(PHILOX_M0, ctr.x);
        const uint lo0 = PHILOX_M0 * ctr.x;
        const uint hi1 = mul_hi(PHILOX_M1, ctr.z);
        const uint lo1 = PHILOX_M1 * ctr.z;
        ctr = (uint4)(hi1 ^ ctr.y ^ key.x, lo1, hi0 ^ ctr.w ^ key.y, lo0);
        key += (uint2)(PHILOX_W0, PHILOX_W1);
    }
    return ctr;
}

// The 128-bit counter offset + block (both unsigned 64-bit) as words; a sum past 2^64 carries into c2.
inline uint4 philox_counter(const ulong offset, const ulong block) {
    const ulong lo = offset + block;
    return (uint4)((uint)lo, (uint)(lo >> 32), lo < offset ? 1u : 0u, 0u);
}

// The key of a 64-bit seed: (low 32 bits, high 32 bits).
inline uint2 philox_key(const ulong seed) {
    return (uint2)((uint)seed, (uint)(seed >> 32));
}

// The 32-bit Philox word of dropout element i (DESIGN.md): word i % 4 of philox4x32_10 at the
// 128-bit counter offset + i / 4, key (seed low, seed high). UL is ulong or a ulong vector, one
// element per lane; each 32-bit word is carried in the low half of a 64-bit lane (the high half is
// don't-care until masked), so the rounds' products are widening multiplies. Used where elements do
// not come in whole aligned blocks, such as a GEMM epilogue's row segment.
#define PHILOX_ELEMENT_WORD(NAME, UL)                                                                 \
    inline UL NAME(const ulong seed, const ulong offset, const UL i) {                                \
        const UL sum = offset + (i >> 2);                                                             \
        UL c0 = sum;                                                                                  \
        UL c1 = sum >> 32;                                                                            \
        UL c2 = sum < (UL)offset ? (UL)1ul : (UL)0ul;                                                 \
        UL c3 = (UL)0ul;                                                                              \
        ulong k0 = seed & 0xFFFFFFFFul;                                                               \
        ulong k1 = seed >> 32;                                                                        \
        _Pragma("unroll")                                                                             \
        for (int r = 0; r < 10; r++) {                                                                \
            const UL p0 = (c0 & 0xFFFFFFFFul) * (ulong)PHILOX_M0;                                     \
            const UL p1 = (c2 & 0xFFFFFFFFul) * (ulong)PHILOX_M1;                                     \
            c0 = (p1 >> 32) ^ c1 ^ k0;                                                                \
            c1 = p1;                                                                                  \
            c2 = (p0 >> 32) ^ c3 ^ k1;                                                                \
            c3 = p0;                                                                                  \
            k0 = (k0 + PHILOX_W0) & 0xFFFFFFFFul;                                                     \
            k1 = (k1 + PHILOX_W1) & 0xFFFFFFFFul;                                                     \
        }                                                                                             \
        const UL w = i & 3ul;                                                                         \
        return (w == (UL)0ul ? c0 : w == (UL)1ul ? c1 : w == (UL)2ul ? c2 : c3) & 0xFFFFFFFFul;       \
    }

__kernel void philox_kat(const uint c0, const uint c1, const uint c2, const uint c3, const uint k0,
                         const uint k1, __global float* out_g, const int out_off) {
    const uint4 r = philox4x32_10((uint4)(c0, c1, c2, c3), (uint2)(k0, k1));
    __global float* o = out_g + out_off;
    o[0] = as_float(r.x);
    o[1] = as_float(r.y);
    o[2] = as_float(r.z);
    o[3] = as_float(r.w);
}

#endif
