"""The haproxy.cfg language: tokenizer, lossless parser and writer, model, keyword registry, validation."""
