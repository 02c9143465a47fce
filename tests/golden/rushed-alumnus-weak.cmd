chat rushed-alumnus --seed 3
