chat conference-stranger --seed 1
