"""What a shopper sees when scanning a QR stamp: the verified view of a product, batch or item."""
