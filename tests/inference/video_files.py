"""Tiny videos for the tests, written with OpenCV from the synthetic images."""
import cv2


def write_video(path, image_paths, fps=10):
    """An mp4 (mp4v) or avi (MJPG) of the images, one frame each; returns the frame count."""
    first = cv2.imread(image_paths[0])
    fourcc = cv2.VideoWriter_fourcc(*('MJPG' if str(path).endswith('.avi') else 'mp4v'))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (first.shape[1], first.shape[0]))
    for image in image_paths:
        writer.write(cv2.imread(image))
    writer.release()
    return len(image_paths)
