"""The draw's pure algorithms and locked records (DESIGN §5), and the inspector pool a draw may pick from."""
