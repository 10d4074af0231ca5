"""forgetting: decay, consolidation and archive of faded memories; negative knowledge from reports."""
