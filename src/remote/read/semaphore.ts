// A counting semaphore: at most `limit` holders, the others wait in arrival order (0 = no limit).
export class Semaphore {
  private held = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  acquire(): Promise<void> {
    if (this.limit <= 0 || this.held < this.limit) {
      this.held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter, so `held` stays the same.
    if (next !== undefined) next();
    else this.held--;
  }
}
