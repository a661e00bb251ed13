"""Photos are re-encoded before they are kept, so that nothing but the picture is stored: a phone's
EXIF block (the GPS location where a photo of an injury was taken, the device, the time), XMP,
comments, PNG text chunks and embedded colour profiles are all dropped."""

import contextlib
import io
import warnings

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from kestrel.files.errors import Refused

# A 48-megapixel phone photo fits; a "decompression bomb" (a small file that unpacks to gigabytes
# of pixels) does not. Counted over every frame of an animation.
MAX_PIXELS = 50_000_000
MAX_PIXELS_LABEL = "50 megapixels"

# Pillow's format for each accepted type, and the one it is saved back as.
FORMATS = {
    "image/jpeg": ("JPEG", "MPO"),
    "image/png": ("PNG",),
    "image/gif": ("GIF",),
    "image/webp": ("WEBP",),
}
JPEG_QUALITY = 90
PNG_MODES = {"1", "L", "LA", "I", "I;16", "RGB", "RGBA"}
SRGB = ImageCms.createProfile("sRGB")


def reencoded(file, content_type: str, display: str) -> bytes:
    """The picture alone, in its own format: orientation applied, every metadata block dropped.
    Refuses a file that does not open as the image its content claims, or is too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(file)
            if image.format not in FORMATS[content_type]:
                raise UnidentifiedImageError(image.format)
            frames = getattr(image, "n_frames", 1)
            if image.width * image.height * frames > MAX_PIXELS:
                raise Image.DecompressionBombError(display)
            return _save(image, FORMATS[content_type][0])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(
            f"“{display}” is too large a picture (more than {MAX_PIXELS_LABEL}). "
            "Save a smaller copy, then add it.",
            reason="image too large",
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise Refused(
            f"“{display}” could not be opened as a picture: it may be damaged. "
            "Open it on your device, save it again, then add it.",
            reason="damaged image",
        ) from None


def _clean(frame: Image.Image) -> Image.Image:
    """A copy of the frame's pixels with no metadata; colours converted to sRGB first when the
    picture carries its own colour profile, so that dropping the profile keeps its colours."""
    profile = frame.info.get("icc_profile")
    if profile and frame.mode in ("RGB", "RGBA"):
        # An unreadable profile: the pixels are kept as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError):
            frame = ImageCms.profileToProfile(
                frame, ImageCms.ImageCmsProfile(io.BytesIO(profile)), SRGB, outputMode=frame.mode
            )
    clean = frame.copy()
    clean.info = {}
    return clean


def _save(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        # exif_transpose turns the picture upright, as the EXIF orientation said to show it.
        picture = _clean(ImageOps.exif_transpose(image))
        if picture.mode not in ("RGB", "L", "CMYK"):
            picture = picture.convert("RGB")
        picture.save(out, "JPEG", quality=JPEG_QUALITY)
    elif fmt == "PNG":
        picture = _clean(ImageOps.exif_transpose(image))
        if picture.mode not in PNG_MODES:
            picture = picture.convert("RGBA")  # keeps transparency without the palette's info
        picture.save(out, "PNG")
    else:
        # GIF and WebP may be animations: every frame is kept, with its timing.
        durations = []
        frames = []
        for frame in ImageSequence.Iterator(image):
            durations.append(frame.info.get("duration", 100))
            frames.append(_clean(frame.convert("RGBA")))
        options = {"save_all": len(frames) > 1, "append_images": frames[1:]}
        if len(frames) > 1:
            options.update(duration=durations, loop=image.info.get("loop", 0))
        if fmt == "GIF":
            options["disposal"] = 2
        else:
            options["quality"] = JPEG_QUALITY
        frames[0].save(out, fmt, **options)
    return out.getvalue()
