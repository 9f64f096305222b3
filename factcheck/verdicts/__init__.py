"""(claim, evidence, now) -> Judgement: the pure judge and its per-kind readings."""
