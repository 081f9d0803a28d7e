#!/bin/bash
# voice-embedding.sh — voice.sh's corpus run on the default embedding
# engine, with that engine's floors (no clear voice is checked exactly: its
# wake head misses flite-awb; see docs/speech.md).
VOICE_ENGINE=embedding
# shellcheck source=voice.sh
. "$(dirname "$0")/voice.sh"
