"""The published folder: what analysts and BI may read, written only by the pipeline's last step."""
