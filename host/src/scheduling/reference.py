#!/usr/bin/env python3
"""High-precision references for the Erlang tests in erlang.rs.

Run `python3 reference.py` (needs `pip install mpmath`); it prints the Rust
tables `ERLANG_C_LARGE`, `ERLANG_C_REQUIRED` and `ERLANG_A_REFERENCE` that
erlang.rs hard-codes.

The methods are deliberately not the ones erlang.rs uses, so the tests
compare two derivations, not one twice:

- Erlang C: the textbook formula with A^N/N! and the full sum
  Σ_{k<N} A^k/k!, evaluated at 50 significant digits (mpmath has no
  exponent limit, so A = 2000 is no problem).
- Erlang A: the stationary distribution from the birth–death products at
  40 digits; the tagged caller's fate (answered / abandoned by time t) by
  uniformization of its pure-death chain (k ahead → k−1 at rate Nμ + kθ,
  abandonment at θ, answered from k = 0 at rate Nμ), a sum of positive
  terms; the answered caller's mean wait by first-step analysis.
  erlang.rs instead uses closed forms (telescoped Laplace transforms and a
  negative-binomial series).
"""

from mpmath import mp, mpf, exp, sqrt, floor, nstr

def erlang_c(a, n, aht, t):
    """Pw, SL(t), ASA for n agents on a Erlangs (n > a)."""
    term = mpf(1)  # A^k / k!
    below = mpf(0)
    for k in range(n):
        below += term
        term = term * a / (k + 1)
    top = term * n / (n - a)
    pw = top / (below + top)
    sl = 1 - pw * exp(-(n - a) * t / aht)
    asa = pw * aht / (n - a)
    return pw, sl, asa


def erlang_c_required(a, aht, t, level):
    n = int(floor(a)) + 1
    while erlang_c(a, n, aht, t)[1] < level:
        n += 1
    return n


def erlang_a(a, n, aht, patience, t):
    """Pw, P(ab), P(answered within t), P(abandoned within t), ASA of answered."""
    mu = 1 / mpf(aht)
    theta = 1 / mpf(patience)
    lam = a * mu
    # Stationary weights relative to state N.
    lower = []  # w_{N-1}, w_{N-2}, …, w_0
    w = mpf(1)
    for m in range(n, 0, -1):
        w = w * m / a
        lower.append(w)
    queue = [mpf(1)]  # w_{N+j}
    biggest = max([mpf(1)] + lower)
    j = 0
    while True:
        j += 1
        w = queue[-1] * lam / (n * mu + j * theta)
        queue.append(w)
        biggest = max(biggest, w)
        if lam < n * mu + j * theta and w < biggest * mpf(10) ** -45:
            break
    z = sum(lower) + sum(queue)
    k_max = len(queue) - 1

    # Uniformize the tagged caller's chain over t seconds.
    big = n * mu + (k_max + 1) * theta
    steps_mean = big * t
    m_max = int(steps_mean + 20 * sqrt(steps_mean + 1) + 60)
    served = [mpf(0)] * (k_max + 1)  # P(answered within m steps | k ahead)
    abandoned = [mpf(0)] * (k_max + 1)
    poisson = exp(-steps_mean)
    served_t = [poisson * s for s in served]
    abandoned_t = [poisson * s for s in abandoned]
    for m in range(1, m_max + 1):
        new_served = []
        new_abandoned = []
        for k in range(k_max + 1):
            down = (n * mu + k * theta) / big
            stay = 1 - down - theta / big
            new_served.append(down * (1 if k == 0 else served[k - 1]) + stay * served[k])
            new_abandoned.append(
                down * (0 if k == 0 else abandoned[k - 1]) + theta / big + stay * abandoned[k]
            )
        served, abandoned = new_served, new_abandoned
        poisson = poisson * steps_mean / m
        for k in range(k_max + 1):
            served_t[k] += poisson * served[k]
            abandoned_t[k] += poisson * abandoned[k]

    # First-step analysis: P(answered | k) and E[wait; answered | k].
    p_served = []
    mean_wait = []
    prev_s, prev_m = mpf(1), mpf(0)
    for k in range(k_max + 1):
        rate = n * mu + (k + 1) * theta
        s = (n * mu + k * theta) / rate * prev_s
        mw = s / rate + (n * mu + k * theta) / rate * prev_m
        p_served.append(s)
        mean_wait.append(mw)
        prev_s, prev_m = s, mw

    pw = sum(queue) / z
    ab = sum(q / z * (1 - s) for q, s in zip(queue, p_served))
    ans_t = sum(lower) / z + sum(q / z * s for q, s in zip(queue, served_t))
    ab_t = sum(q / z * s for q, s in zip(queue, abandoned_t))
    asa = sum(q / z * mw for q, mw in zip(queue, mean_wait)) / (1 - ab)
    return pw, ab, ans_t, ab_t, asa


def f(x):
    """The f64 nearest to x, in the shortest form that reads back to it."""
    return repr(float(x))


def main():
    mp.dps = 50
    aht, t, level, interval = 180, 20, mpf("0.8"), 1800
    rows, required_rows = [], []
    for a in [10, 500, 1000, 2000]:
        a = mpf(a)
        required = erlang_c_required(a, aht, t, level)
        required_rows.append((a, required))
        for n in sorted({int(a) + 1, required - 1, required, int(a + 3 * sqrt(a))}):
            pw, sl, asa = erlang_c(a, n, aht, t)
            rows.append((a * interval / aht, aht, n, pw, sl, asa))
    print("const ERLANG_C_LARGE: &[(f64, f64, u32, f64, f64, f64)] = &[")
    for offered, aht_, n, pw, sl, asa in rows:
        print(f"    ({nstr(offered, 10)}, {aht_}.0, {n}, {f(pw)}, {f(sl)}, {f(asa)}),")
    print("];")
    print("const ERLANG_C_REQUIRED: &[(f64, u32)] = &[")
    for a, n in required_rows:
        print(f"    ({nstr(a, 10)}, {n}),")
    print("];")

    mp.dps = 40
    cases = [
        # offered per 30 min, AHT s, agents, patience s, t s
        (100, 180, 12, 120, 20),
        (100, 180, 8, 60, 20),
        (5000, 180, 490, 300, 20),
        (5000, 180, 510, 300, 20),
        (20000, 180, 1990, 600, 30),
    ]
    print(
        "const ERLANG_A_REFERENCE: &[ErlangACase] = &[\n"
        "    // offered, AHT, agents, patience, t,\n"
        "    // [Pw, P(ab), P(answered ≤ t), P(abandoned ≤ t), ASA answered, Excluded SL]"
    )
    for offered, aht_, n, patience, t_ in cases:
        a = mpf(offered) * aht_ / interval
        pw, ab, ans_t, ab_t, asa = erlang_a(a, n, aht_, patience, t_)
        excluded = ans_t / (1 - ab_t)
        values = ", ".join(f(v) for v in [pw, ab, ans_t, ab_t, asa, excluded])
        print(f"    ({offered}.0, {aht_}.0, {n}, {patience}.0, {t_}.0, [{values}]),")
    print("];")


if __name__ == "__main__":
    main()
