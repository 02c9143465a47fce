chat curious-mentor --seed 5
