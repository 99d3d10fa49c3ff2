"""Domain errors. The CLI turns them into one-line messages and exit codes."""


class RemarkwatchError(Exception):
    """Base of every error remarkwatch reports to its user."""
    exit_code = 1


class ConfigError(RemarkwatchError):
    """The configuration file or a flag is invalid."""
    exit_code = 2


class NotFound(RemarkwatchError):
    """A change, version or document named on the command line does not exist."""
    exit_code = 1


class PassFailed(RemarkwatchError):
    """A crawl pass could not run at all (not: some pages failed, which is recorded)."""
    exit_code = 1


# Exit statuses beyond 0 (ok), 1 (runtime failure) and 2 (usage or configuration error):
EXIT_SOURCE_FAILING = 3     # `crawl`: the pass ran, but a source could not be read
