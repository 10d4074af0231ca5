"""An OpenAI-compatible `/v1/chat/completions` that remembers: point any chat client at it and each
conversation starts warm, gets relevant memories injected, and is captured into Somnia."""
