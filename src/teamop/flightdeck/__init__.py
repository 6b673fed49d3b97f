"""The Flightdeck landing-page server: a card per enabled product of a Site, read live from the Kubernetes API."""
