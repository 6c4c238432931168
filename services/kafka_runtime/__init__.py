"""The Kafka runtime: relays to the topics, inbound subscribers, their wiring and watch."""
