"""stylekit: neural style transfer, by optimization (Gatys et al.) and fast networks (Johnson et al.)."""
