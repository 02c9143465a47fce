chat cold-message --seed 1
