"""Image and video input: decoding, orientation, colour normalisation, limits, walking folders."""

from faceatlas.io.files import IMAGE_EXTENSIONS, iter_image_files, iter_media_files
from faceatlas.io.images import DecodedImage, ImageLimits, ImageSource, open_image, to_rgb_array

__all__ = [
    "IMAGE_EXTENSIONS",
    "DecodedImage",
    "ImageLimits",
    "ImageSource",
    "iter_image_files",
    "iter_media_files",
    "open_image",
    "to_rgb_array",
]
