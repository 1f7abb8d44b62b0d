/**
 * Per-provider rate limit: a token bucket (rate tokens per second, burst max(1, rate)). `reserve`
 * takes a token now or says how long until one is free, without holding a timer, so the caller can
 * weigh the wait against its retry budget and hand the event back to the broker instead of waiting.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly burst: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    this.burst = Math.max(1, ratePerSecond);
    this.tokens = this.burst;
    this.last = now();
  }

  /** 0 when a token was taken; else the ms until the next token (nothing is taken). */
  reserve(): number {
    if (this.ratePerSecond <= 0) return 0;
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }
}
