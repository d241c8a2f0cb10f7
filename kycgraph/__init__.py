"""kycgraph: customer-information authenticity checks for Chinese life insurers."""

__version__ = "0.1.0"
