"""kycgraph's HTTP API for the case system and investigators (``kycgraph serve``).

``api.app.create_app`` builds the FastAPI application; ``api.state`` holds
API keys, the audit log and the results registry.
"""
