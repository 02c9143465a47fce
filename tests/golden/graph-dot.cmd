graph tests/graph/coffee.yaml
