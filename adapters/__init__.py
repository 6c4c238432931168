"""Adapters: persistence mapping, Kafka, HTTP and broker process control."""
