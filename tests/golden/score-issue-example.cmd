score --json --context "I switched from engineering to product two years ago." "What was that transition like for you?"
