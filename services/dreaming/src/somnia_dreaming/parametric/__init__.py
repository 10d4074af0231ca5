"""The last rung of the dream ladder in the dreaming service: read the candidates, apply the promotion
rule, write the dataset, launch the trainer (a local subprocess or a Kubernetes Job), and record the
adapter in the registry."""
