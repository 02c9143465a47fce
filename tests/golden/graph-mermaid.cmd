graph --format mermaid tests/graph/coffee.yaml
