"""A replica of state.gov remarks pages, served on loopback for the demo, the tests and benchmarks."""
