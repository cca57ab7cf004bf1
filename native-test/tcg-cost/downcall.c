/*
 * The C side of the downcall-cost probe: abs() called through a volatile function pointer (an
 * indirect call the compiler cannot inline, like a provider op), timed over N calls, 3 rounds.
 * Usage: downcall N
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: downcall N\n");
		return 2;
	}
	int (*volatile fn)(int) = abs;
	long sum = 0;
	for (int round = 0; round < 3; round++) {
		double t0 = now_ns();
		for (long i = 0; i < n; i++)
			sum += fn((int)i);
		printf("C     abs() through a function pointer  %8.1f ns/call\n", (now_ns() - t0) / n);
	}
	return sum == 42; /* keeps the loop */
}
