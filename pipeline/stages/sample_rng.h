/*
 * sample_rng.h - the sample generator's own seeded PRNG: xoshiro256** (Blackman and Vigna),
 * seeded through splitmix64. Never the C library's rand(), the time or the pid, so that one
 * seed gives byte-identical sample files on every machine.
 */
#ifndef CP_SAMPLE_RNG_H
#define CP_SAMPLE_RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

/* Seed from a 64-bit seed and a stream number: stream k of seed S is independent of every
 * other stream, so each record can have its own and a change to one record's draws does
 * not shift the others. */
void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
/* Uniform in [0, n), unbiased (n > 0). */
uint32_t rng_below(struct rng *r, uint32_t n);
/* Uniform in [lo, hi] (lo <= hi). */
int rng_range(struct rng *r, int lo, int hi);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* 1 with probability p. */
int rng_chance(struct rng *r, double p);
/* An element of a string list. */
#define RNG_PICK(r, arr) ((arr)[rng_below((r), (uint32_t)(sizeof(arr) / sizeof((arr)[0])))])

#endif
