import emoji
print(emoji.emojize("Distroless is :kissing_face_with_smiling_eyes::OK_hand:"))
