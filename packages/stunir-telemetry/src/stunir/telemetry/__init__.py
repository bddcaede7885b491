"""Counters, gauges, histograms and timers with Prometheus, JSON and StatsD export."""

__version__ = "0.1.0"

__all__: list[str] = []
