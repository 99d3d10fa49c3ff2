"""The offline demo and the replica sites (state.gov eras, whitehouse.gov, defense.gov, GOV.UK,
the Wayback Machine, a webhook receiver). Imported by the CLI's demo, the tests and the benches;
never by production code.
"""
