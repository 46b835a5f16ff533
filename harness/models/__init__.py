"""Making models exist: the registry, the memory and disk caches, the training loop, toy transformers and MLPs, tasks, pretrained sources."""
