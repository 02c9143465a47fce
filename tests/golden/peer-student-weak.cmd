chat peer-student --seed 1
