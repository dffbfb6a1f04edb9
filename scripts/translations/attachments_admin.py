"""UI text of attachments (证明材料) and of the hardship files' administration."""

ZH_HANS = {
    # attachments: the panel, the form and its page
    "Attachments": "证明材料",
    "What it proves": "材料类别",
    "File": "文件",
    "Size": "大小",
    "Uploaded by": "上传人",
    "Uploaded": "上传时间",
    "No attachments yet.": "尚无证明材料。",
    "Add an attachment": "上传证明材料",
    "Upload": "上传",
    "Scan or photo": "扫描件或照片",
    "JPEG, PNG, WebP or PDF, at most %(limit)s MB.": "JPEG、PNG、WebP 或 PDF 格式，不超过 %(limit)s MB。",
    "Choose the file to upload.": "请选择要上传的文件。",
    "Choose what the attachment proves.": "请选择材料类别。",
    "“%(name)s” is attached.": "已上传“%(name)s”。",
    "Back to the file": "返回档案",
    "Attachments can be added only while the file is active.": "只有在档案有效期间才能上传证明材料。",
    "Attachments can be added only while the file is active; this file is “%(status)s”.": (
        "只有在档案有效期间才能上传证明材料；此档案的状态为“%(status)s”。"
    ),
    # attachments: what the content check refuses
    "The file is larger than %(limit)s MB. Scan at a lower resolution or split it into several files.": (
        "文件超过 %(limit)s MB。请降低扫描分辨率，或拆分成几个文件上传。"
    ),
    "The file is empty.": "文件是空的。",
    "Only JPEG, PNG or WebP photos and PDF scans can be attached. This file is none of these, whatever its name says.": (
        "只能上传 JPEG、PNG、WebP 格式的照片或 PDF 扫描件。此文件不属于其中任何一种，与文件名无关。"
    ),
    "HEIC photos cannot be checked here. Save the photo as JPEG (on an iPhone: Settings → Camera → Formats → Most Compatible) and upload it again.": (
        "系统无法检查 HEIC 格式的照片。请将照片存为 JPEG（iPhone：设置 → 相机 → 格式 → 兼容性最佳）后重新上传。"
    ),
    "The image could not be read: it is damaged or not the kind of image it claims to be.": (
        "无法读取此图片：文件已损坏，或与其声称的图片格式不符。"
    ),
    "The image has too many pixels to check (more than %(megapixels)s million). Save it at a lower resolution.": (
        "图片像素过多（超过 %(megapixels)s 百万像素），无法检查。请以较低分辨率保存后重新上传。"
    ),
    "The PDF is damaged or incomplete: its end marker is missing.": (
        "PDF 文件已损坏或不完整（缺少文件结束标记）。"
    ),
    # administration of the hardship files
    "Download": "下载",
    "Employer and bank": "工作单位与银行账户",
    "Life of the file": "档案经历",
}
