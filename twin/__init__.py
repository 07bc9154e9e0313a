"""CityTwin: one model of a city feeding flood, green-wave, hazmat and crowd simulations."""
__version__ = "0.1.0"
